import { defineConfig } from 'drizzle-kit';

/** drizzle-kit only generates migrations here; the app applies them itself at start-up (src/store/db.ts). */
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/store/schema.ts',
  out: './drizzle',
  breakpoints: true,
});
