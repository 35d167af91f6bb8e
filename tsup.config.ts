import { defineConfig } from 'tsup';

// Entry points: the core client (`zhichi-outbound`), the push receiver (`zhichi-outbound/receiver`),
// the emulator (`zhichi-outbound/emulator`), the streaming contact import (`zhichi-outbound/import`),
// the Agents (apiOpen/v1) client (`zhichi-outbound/agents`), the broker relay (`zhichi-outbound/relay`)
// and the CLI (bin/zhichi.mjs loads dist/cli.js).
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    receiver: 'src/push/index.ts',
    emulator: 'src/emulator/index.ts',
    import: 'src/import/index.ts',
    agents: 'src/agents/index.ts',
    relay: 'src/relay/index.ts',
    cli: 'src/cli/main.ts',
  },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts', receiver: 'src/push/index.ts', emulator: 'src/emulator/index.ts', import: 'src/import/index.ts', agents: 'src/agents/index.ts', relay: 'src/relay/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: true,
  // Drivers are optional: never bundled, loaded lazily where used.
  external: ['ioredis', 'better-sqlite3', 'pg', 'exceljs', 'nats', 'bullmq', 'amqplib'],
});
