export default {
  files: ['tests/**/*.test.ts'],
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  timeout: '60s',
  workerThreads: false,
  concurrency: 2,
};
