// Copies the Swagger UI assets into dist/vendor/swagger-ui/ so that the
// server's /api/docs page works without any CDN (none is reachable from the
// city's network). Runs as the last step of `npm run build`.
import { copyFileSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const webDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = dirname(require.resolve('swagger-ui-dist/package.json'));
const target = join(webDir, 'dist', 'vendor', 'swagger-ui');

const files = [
  'swagger-ui.css',
  'swagger-ui-bundle.js',
  'swagger-ui-standalone-preset.js',
  // Licence texts travel with the code they cover.
  'LICENSE',
  'NOTICE',
  'swagger-ui-bundle.js.LICENSE.txt',
  'swagger-ui-standalone-preset.js.LICENSE.txt',
];

mkdirSync(target, { recursive: true });
for (const file of files) {
  const from = join(source, file);
  if (!existsSync(from)) {
    if (file.endsWith('.css') || file.endsWith('.js')) {
      throw new Error(`swagger-ui-dist is missing ${file}`);
    }
    continue;
  }
  copyFileSync(from, join(target, file));
}
console.log(`copied Swagger UI assets to ${target}`);
