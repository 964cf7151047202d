#!/usr/bin/env node
// npm bin entry: `npx flywheel <command>` runs the TypeScript CLI through tsx.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const child = spawn(path.join(root, 'node_modules', '.bin', 'tsx'), [path.join(root, 'cli', 'index.ts'), ...process.argv.slice(2)], { stdio: 'inherit' });
process.on('SIGINT', () => {});
child.on('exit', (code) => process.exit(code ?? 1));
