import type { CodegenConfig } from "@graphql-codegen/cli";

// Every operation of the page is typed from the gateway's SDL: a schema change that breaks
// the page breaks `npm run build` (and so the gateway's build).
const config: CodegenConfig = {
  schema: "../schema.graphql",
  documents: ["src/**/*.{ts,tsx}", "!src/**/*.test.{ts,tsx}"],
  ignoreNoDocuments: false,
  generates: {
    "generated/": {
      preset: "client",
      config: {
        scalars: { DateTime: "string", Decimal: "string" },
        enumsAsTypes: true,
        useTypeImports: true,
      },
      presetConfig: { fragmentMasking: false },
    },
  },
};
export default config;
