import { defineConfig } from 'drizzle-kit';

// drizzle-kit generates migrations for the tables it can express (src/db/schema/threads.ts).
// thread_items (hash-partitioned; declared in src/db/schema/items.ts for types and checked against
// the catalog by test/db/schemaDrift.test.ts), RLS, roles, functions and views live in hand-written
// SQL migrations in the same folder (`drizzle-kit generate --custom`), applied in journal order by
// src/db/migrate.ts.
// We stay on the drizzle-kit 0.x journal layout (drizzle/meta/_journal.json).
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema/threads.ts',
  out: './drizzle',
  schemaFilter: ['thread_store'],
  dbCredentials: { url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
});
