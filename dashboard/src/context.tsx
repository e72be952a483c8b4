import { createContext, useContext } from "react";
import type { Lang } from "./format";
import type { Texts } from "./i18n";
import type { ViewState } from "./filters";

export interface PageContext {
  lang: Lang;
  t: Texts;
  zone: string;
  state: ViewState;
  /** Changes the view (and the address). */
  update: (patch: Partial<ViewState>) => void;
  /** Counts the pushes of `liveStats`: each one refreshes the tab in view. */
  tick: number;
  /** Where a tab's answer gives the filter choices and the reporting zone. */
  onChoices: (cities: string[], specialties: string[]) => void;
  onZone: (zone: string) => void;
}

export const Page = createContext<PageContext | null>(null);

export function usePage(): PageContext {
  const page = useContext(Page);
  if (!page) throw new Error("usePage outside <Page.Provider>");
  return page;
}
