export interface N8nEnvOptions {
	userFolder: string;
	port: number;
	brokerPort: number;
	encryptionKey: string;
	ownerEmail: string;
	ownerPasswordHash: string;
	/** Public base URL of the instance; defaults to http://127.0.0.1:<port>/ */
	publicUrl?: string;
}

/**
 * The environment every n8n we run gets: its own user folder and ports (the task broker
 * defaults to 5679, so parallel instances each get their own), an owner set from env so
 * nobody clicks through setup, and nothing that talks to the internet.
 */
export function n8nEnv(o: N8nEnvOptions): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {};
	// Inherit the basics but none of the caller's n8n or database configuration, and not
	// jest's NODE_ENV=test: with it n8n's CLI commands silently do nothing.
	for (const [k, v] of Object.entries(process.env)) {
		if (!/^(N8N_|DB_|EXECUTIONS_|QUEUE_|WEBHOOK_URL$|GENERIC_TIMEZONE$|NODE_ENV$|JEST_)/.test(k)) {
			env[k] = v;
		}
	}
	const publicUrl = o.publicUrl ?? `http://127.0.0.1:${o.port}/`;
	Object.assign(env, {
		N8N_USER_FOLDER: o.userFolder,
		N8N_PORT: String(o.port),
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_HOST: new URL(publicUrl).hostname,
		N8N_PROTOCOL: 'http',
		N8N_WEBHOOK_URL: publicUrl, // 2.41's name for WEBHOOK_URL (which it flags as deprecated)
		N8N_EDITOR_BASE_URL: publicUrl,
		N8N_SECURE_COOKIE: 'false',
		N8N_ENCRYPTION_KEY: o.encryptionKey,
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'true',
		N8N_RUNNERS_BROKER_PORT: String(o.brokerPort),
		N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
		N8N_INSTANCE_OWNER_MANAGED_BY_ENV: 'true',
		N8N_INSTANCE_OWNER_EMAIL: o.ownerEmail,
		N8N_INSTANCE_OWNER_FIRST_NAME: 'Fanloop',
		N8N_INSTANCE_OWNER_LAST_NAME: 'Owner',
		N8N_INSTANCE_OWNER_PASSWORD_HASH: o.ownerPasswordHash,
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_WHATS_NEW_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_HIRING_BANNER_ENABLED: 'false',
		N8N_DYNAMIC_BANNERS_ENABLED: 'false',
		N8N_LICENSE_AUTO_RENEW_ENABLED: 'false',
		N8N_AI_ENABLED: 'false',
		N8N_DISABLED_MODULES: 'mcp-registry', // refreshes a registry from api.n8n.io on start
		N8N_UNVERIFIED_PACKAGES_ENABLED: 'true',
		N8N_PUBLIC_API_DISABLED: 'false',
		N8N_PUBLIC_API_SWAGGERUI_DISABLED: 'true',
		N8N_LOG_LEVEL: 'info',
		N8N_LOG_OUTPUT: 'console',
		N8N_NO_COLOR: 'true',
		NO_COLOR: '1',
		GENERIC_TIMEZONE: 'UTC',
	});
	return env;
}
