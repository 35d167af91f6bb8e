import { defineConfig } from 'tsup';
import { buildDashboardApp } from './src/dashboard/build-app.js';

// Entry points: the core client (`zhichi-outbound`), the push receiver (`zhichi-outbound/receiver`),
// the emulator (`zhichi-outbound/emulator`), the streaming contact import (`zhichi-outbound/import`),
// the Agents (apiOpen/v1) client (`zhichi-outbound/agents`), the broker relay (`zhichi-outbound/relay`),
// the dashboard (`zhichi-outbound/dashboard`, its front end built into dist/dashboard-app/) and the CLI
// (bin/zhichi.mjs loads dist/cli.js).
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    receiver: 'src/push/index.ts',
    emulator: 'src/emulator/index.ts',
    import: 'src/import/index.ts',
    agents: 'src/agents/index.ts',
    relay: 'src/relay/index.ts',
    dashboard: 'src/dashboard/index.ts',
    cli: 'src/cli/main.ts',
  },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts', receiver: 'src/push/index.ts', emulator: 'src/emulator/index.ts', import: 'src/import/index.ts', agents: 'src/agents/index.ts', relay: 'src/relay/index.ts', dashboard: 'src/dashboard/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: true,
  // import.meta.url in the CommonJS build (the dashboard finds its front end next to itself).
  shims: true,
  // Keep class and function names in both builds: without it the CJS output renames classes with
  // field initialisers (`_class2`), and logs and `util.inspect` show that instead of `ZhichiTimeoutError`.
  keepNames: true,
  onSuccess: () => buildDashboardApp('dist/dashboard-app'),
  // Drivers are optional: never bundled, loaded lazily where used.
  external: ['ioredis', 'better-sqlite3', 'pg', 'exceljs', 'nats', 'bullmq', 'amqplib'],
});
