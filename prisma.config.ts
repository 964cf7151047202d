import { defineConfig } from 'prisma/config';

// The CLI is used for `generate` only; migrations are applied by scripts/db-migrate.ts
// through the WASM schema engine, because the native engine cannot be downloaded offline.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/postgres' },
});
