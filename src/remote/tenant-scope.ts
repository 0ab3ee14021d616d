// TODO(issue 15): src/remote/runs-store.ts still imports withTenant from here; once the jobs
// repository branch has moved it, import from src/store/v2/tenant-scope.ts and delete this file.
export { withTenant } from '../store/v2/tenant-scope.js';
