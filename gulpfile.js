// Builds the publishable n8n package into dist/ and packs it.
//   gulp build  clean dist, compile nodes/ and credentials/ with tsc, copy each node's icons
//               and codex file beside its compiled code, then check that every node and
//               credential package.json announces to n8n really exists in dist.
//   gulp pack   build, then `npm pack` the result into .fanloop/pack/ (what a marketer installs).
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { dest, series, src } = require('gulp');

const root = __dirname;
const distDir = path.join(root, 'dist');
const packDir = path.join(root, '.fanloop', 'pack');

function run(command, args) {
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, { cwd: root, stdio: 'inherit' });
		child.on('error', reject);
		child.on('exit', (code, signal) =>
			code === 0
				? resolve()
				: reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`})`)),
		);
	});
}

async function clean() {
	await fs.promises.rm(distDir, { recursive: true, force: true });
}

function compile() {
	return run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json']);
}

// n8n reads `file:` icons and the `<Node>.node.json` codex from the folder of the compiled node.
function copyAssets() {
	return src(['nodes/**/*.svg', 'nodes/**/*.node.json', 'credentials/**/*.svg'], {
		base: root,
		encoding: false,
	}).pipe(dest(distDir));
}

async function verify() {
	const pkg = JSON.parse(await fs.promises.readFile(path.join(root, 'package.json'), 'utf8'));
	const announced = [...(pkg.n8n?.credentials ?? []), ...(pkg.n8n?.nodes ?? [])];
	if (announced.length === 0) throw new Error('package.json announces no nodes or credentials');
	const missing = [];
	for (const file of announced) {
		const compiled = path.join(root, file);
		if (!fs.existsSync(compiled)) {
			missing.push(file);
			continue;
		}
		if (file.endsWith('.node.js')) {
			const folder = path.dirname(compiled);
			const codex = compiled.replace(/\.js$/, '.json');
			if (!fs.existsSync(codex)) missing.push(path.relative(root, codex));
			const source = await fs.promises.readFile(compiled, 'utf8');
			for (const [, icon] of source.matchAll(/'file:([^']+)'|"file:([^"]+)"/g)) {
				if (icon && !fs.existsSync(path.join(folder, icon))) {
					missing.push(path.relative(root, path.join(folder, icon)));
				}
			}
		}
	}
	if (missing.length > 0) throw new Error(`missing from dist: ${missing.join(', ')}`);
	console.log(`dist/ holds ${announced.length} announced files with their icons and codex files`);
}

async function pack() {
	await fs.promises.mkdir(packDir, { recursive: true });
	await run('npm', ['pack', '--pack-destination', packDir]);
}

const build = series(clean, compile, copyAssets, verify);

exports.clean = clean;
exports.build = build;
exports.pack = series(build, pack);
exports.default = build;
