#!/usr/bin/env node
// Entry for `npx orch`: runs the compiled CLI (built by `npm install` through the prepare script).
import '../dist/cli/main.js';
