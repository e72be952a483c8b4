import type { CodegenConfig } from "@graphql-codegen/cli";

// Every operation of the page, and every example operation of ../playground, is typed from
// the gateway's SDL: a schema change that breaks either breaks `npm run build` (and so the
// gateway's build).
const config: CodegenConfig = {
  schema: "../schema.graphql",
  ignoreNoDocuments: false,
  generates: {
    "generated/": {
      documents: ["src/**/*.{ts,tsx}", "!src/**/*.test.{ts,tsx}"],
      preset: "client",
      config: {
        scalars: { DateTime: "string", Decimal: "string" },
        enumsAsTypes: true,
        useTypeImports: true,
      },
      presetConfig: { fragmentMasking: false },
    },
    // the example operations of GraphiQL (../playground) are typed too: each must validate
    "generated/playground/": {
      documents: ["../playground/*.graphql"],
      preset: "client",
      config: { scalars: { DateTime: "string", Decimal: "string" }, enumsAsTypes: true, useTypeImports: true },
      presetConfig: { fragmentMasking: false },
    },
  },
};
export default config;
