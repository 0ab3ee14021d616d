// Copies the non-TypeScript assets the compiled CLI needs (SQL migrations) into dist/.
import { cpSync } from 'node:fs';

cpSync('src/store/migrations', 'dist/store/migrations', { recursive: true });
