// Build step of the dashboard's front end (not shipped): Preact + uPlot + our components bundled by
// esbuild (the one tsup runs on) into `<outDir>/app.js` and `app.css`. tsup calls it after each build;
// the browser tests call it too, so they test what the package serves.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Folder of the front end's sources. */
export const WEB_DIR = join(dirname(fileURLToPath(import.meta.url)), 'web');

/** Bundles the front end into `outDir` (minified, ES2020, one JS and one CSS file, no external imports). */
export async function buildDashboardApp(outDir: string): Promise<void> {
  await build({
    entryPoints: { app: join(WEB_DIR, 'main.tsx') },
    outdir: outDir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    sourcemap: false,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: join(WEB_DIR, 'tsconfig.json'),
    legalComments: 'eof',
    logLevel: 'warning',
  });
}
