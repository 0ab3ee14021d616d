#!/usr/bin/env node
import { exitQuietlyOnBrokenPipe } from './broken-pipe.js';
import { runCli } from './cli.js';

exitQuietlyOnBrokenPipe(process.stdout);
exitQuietlyOnBrokenPipe(process.stderr);
process.exitCode = await runCli(process.argv.slice(2));
