/** One run for every suite; the PostgreSQL half of the ledger suites gets its server from globalSetup. */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test'],
	testMatch: ['**/*.test.ts'],
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/test/tsconfig.json' }] },
	setupFiles: ['<rootDir>/test/support/quiet-engine-log.ts'],
	globalSetup: '<rootDir>/test/support/global-setup.ts',
	globalTeardown: '<rootDir>/test/support/global-teardown.ts',
	testTimeout: 30_000,
	// Two files side by side even on a two-core machine (jest's default would be one): the real-n8n
	// suites spend most of their time waiting on n8n's start-up and executions, not on the CPU.
	// Workers are separate processes, so whatever a file leaves behind dies with its worker.
	maxWorkers: 2,
};
