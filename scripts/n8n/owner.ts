import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

/** The n8n account that owns an instance, set up from the environment (no setup screen). */
export interface N8nOwner {
	email: string;
	password: string;
}

type Bcrypt = {
	hash(s: string, rounds: number, callback: (error: Error | null, hash: string) => void): void;
};

/** A bcrypt hash for N8N_INSTANCE_OWNER_PASSWORD_HASH, made with n8n's own bcryptjs. */
export async function bcryptHash(n8nDir: string, password: string): Promise<string> {
	const req = createRequire(path.join(n8nDir, 'node_modules/n8n/package.json'));
	const bcrypt = req('bcryptjs') as Bcrypt;
	return await new Promise((resolve, reject) =>
		bcrypt.hash(password, 10, (error, hash) => (error ? reject(error) : resolve(hash))),
	);
}

/**
 * The owner's password hash, kept in the user folder and made again only when the owner's
 * email or password changed: bcrypt is slow on purpose, and a re-run should not pay for it.
 */
export async function ownerPasswordHash(
	n8nDir: string,
	userFolder: string,
	owner: N8nOwner,
): Promise<string> {
	const file = path.join(userFolder, 'owner-password.bcrypt');
	const madeFor = `${owner.email}:${createHash('sha256').update(owner.password).digest('hex')}`;
	const [storedFor, storedHash] = (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '').split(
		'\n',
	);
	if (storedFor === madeFor && storedHash) return storedHash;
	const hash = await bcryptHash(n8nDir, owner.password);
	fs.mkdirSync(userFolder, { recursive: true });
	fs.writeFileSync(file, `${madeFor}\n${hash}`, { mode: 0o600 });
	return hash;
}
