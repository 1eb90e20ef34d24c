import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { withLock } from './lock';
import { PACKAGE_NAME, repoRoot } from './paths';
import { run } from './run';

/** Packed tarballs, one folder per content of the package's sources. */
const packRoot = path.join(repoRoot, '.fanloop', 'pack');

/** The files whose content decides what `gulp build` + `npm pack` produce. */
function packageSourceFiles(): string[] {
	const files: string[] = [];
	const walk = (dir: string): void => {
		if (!fs.existsSync(dir)) return;
		for (const entry of fs
			.readdirSync(dir, { withFileTypes: true })
			.sort((a, b) => a.name.localeCompare(b.name))) {
			const full = path.join(dir, entry.name);
			if (entry.isDirectory()) walk(full);
			else files.push(full);
		}
	};
	walk(path.join(repoRoot, 'nodes'));
	walk(path.join(repoRoot, 'credentials'));
	for (const f of ['package.json', 'gulpfile.js', 'tsconfig.json', 'README.md', 'LICENSE']) {
		const full = path.join(repoRoot, f);
		if (fs.existsSync(full)) files.push(full);
	}
	return files;
}

/**
 * Builds (gulp build) and packs the node package once per content: parallel test workers,
 * `npm start` and later runs with unchanged sources share one tarball.
 */
export async function buildAndPackNodePackage(): Promise<string> {
	const hash = createHash('sha256');
	for (const f of packageSourceFiles()) {
		hash.update(path.relative(repoRoot, f)).update('\0').update(fs.readFileSync(f)).update('\0');
	}
	const packDir = path.join(packRoot, hash.digest('hex').slice(0, 16));
	const done = path.join(packDir, 'tarball.txt');
	return await withLock(path.join(packRoot, '.lock'), async () => {
		if (fs.existsSync(done)) return fs.readFileSync(done, 'utf8').trim();
		const withNode24 = (cmd: string, args: string[]): Promise<string> =>
			run('bash', [path.join(repoRoot, 'scripts/with-node24.sh'), cmd, ...args], {
				cwd: repoRoot,
				timeoutMs: 10 * 60_000,
			});
		await withNode24('gulp', ['build']);
		fs.mkdirSync(packDir, { recursive: true });
		const packed = JSON.parse(
			await withNode24('npm', [
				'pack',
				'--json',
				'--ignore-scripts',
				'--pack-destination',
				packDir,
			]),
		) as Array<{ filename: string }>;
		const tarball = path.join(packDir, packed[0].filename);
		fs.writeFileSync(done, tarball + '\n');
		return tarball;
	});
}

/**
 * Installs a packed community package into `<userFolder>/.n8n/nodes` exactly as n8n 2.41's
 * CommunityPackagesService.downloadPackage does: unpack into node_modules/<name>, drop dev,
 * peer and optional dependencies from its package.json (n8n-workflow comes from n8n itself
 * and must not be installed twice), `npm install` there with n8n's flags, and record the
 * dependency in nodes/package.json. Node types then read `<name>.<node>`.
 */
export async function installNodePackage(userFolder: string, tarball: string): Promise<string> {
	const nodesDir = path.join(userFolder, '.n8n', 'nodes');
	const packageDir = path.join(nodesDir, 'node_modules', PACKAGE_NAME);
	fs.rmSync(packageDir, { recursive: true, force: true });
	fs.mkdirSync(packageDir, { recursive: true });
	await run('tar', ['-xzf', tarball, '-C', packageDir, '--strip-components=1'], {
		cwd: packageDir,
	});
	const pkgPath = path.join(packageDir, 'package.json');
	const {
		devDependencies: _dev,
		peerDependencies: _peer,
		optionalDependencies: _optional,
		...pkg
	} = JSON.parse(fs.readFileSync(pkgPath, 'utf8')) as Record<string, unknown>;
	fs.writeFileSync(pkgPath, JSON.stringify(pkg, null, 2));
	await run(
		'npm',
		[
			'install',
			'--audit=false',
			'--fund=false',
			'--bin-links=false',
			'--install-strategy=shallow',
			'--ignore-scripts=true',
			'--package-lock=false',
			'--loglevel=error',
		],
		{ cwd: packageDir, timeoutMs: 10 * 60_000 },
	);
	const nodesPkgPath = path.join(nodesDir, 'package.json');
	const nodesPkg: { dependencies?: Record<string, string>; [k: string]: unknown } = fs.existsSync(
		nodesPkgPath,
	)
		? JSON.parse(fs.readFileSync(nodesPkgPath, 'utf8'))
		: { name: 'installed-nodes', private: true };
	nodesPkg.dependencies = { ...nodesPkg.dependencies, [PACKAGE_NAME]: String(pkg.version) };
	fs.writeFileSync(nodesPkgPath, JSON.stringify(nodesPkg, null, 2));
	return packageDir;
}
