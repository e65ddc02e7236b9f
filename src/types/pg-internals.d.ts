// pg's own value serializer (the one its Query uses for bind parameters), for the tenant pipeline
// (src/db/tenantPipeline.ts). pg exports its lib/ files; @types/pg does not describe this one.
declare module 'pg/lib/utils.js' {
  const utils: { prepareValue(value: unknown): unknown };
  export default utils;
}
