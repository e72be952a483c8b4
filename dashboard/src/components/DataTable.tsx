export interface Column<T> {
  key: string;
  label: string;
  render: (row: T) => React.ReactNode;
  numeric?: boolean;
}

/** A table of numbers: a chart's text alternative, or a list. */
export function DataTable<T>({ caption, columns, rows, id }: { caption: string; columns: Column<T>[]; rows: T[]; id?: string }) {
  return (
    <div className="table-wrap">
      <table data-table={id}>
        <caption>{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.key} scope="col" className={c.numeric ? "num" : undefined}>
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={i}>
              {columns.map((c) => (
                <td key={c.key} className={c.numeric ? "num" : undefined}>
                  {c.render(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
