import type {
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	INodeCredentialTestResult,
} from 'n8n-workflow';

import { hubBaseUrl } from './transport';

/**
 * The name every Fanloop node gives its credential test (`testedBy`). The test is a function
 * rather than the credential's declarative request because n8n shows a declarative test's
 * socket failure as a bare code ("ECONNREFUSED"); here each failure gets a sentence.
 */
export const HUB_CREDENTIAL_TEST = 'fanloopHubApiTest';

const ANSWER_WITHIN_MS = 10_000;

/** What a connection failure's code means to someone who typed the Base URL. */
const UNREACHABLE_REASONS: Record<string, string> = {
	ECONNREFUSED: 'nothing accepts connections at that address',
	ENOTFOUND: 'that host name does not exist',
	EAI_AGAIN: 'that host name could not be looked up',
	EHOSTUNREACH: 'that host cannot be reached from n8n',
	ECONNRESET: 'the connection was cut',
	ETIMEDOUT: 'the connection timed out',
};

function failureCode(error: unknown): string | undefined {
	const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
	return typeof cause?.code === 'string' ? cause.code : undefined;
}

function unreachable(baseUrl: string, error: unknown): INodeCredentialTestResult {
	const timedOut = error instanceof Error && error.name === 'TimeoutError';
	const code = failureCode(error);
	const reason = timedOut
		? `it did not answer within ${ANSWER_WITHIN_MS / 1000} seconds`
		: ((code && UNREACHABLE_REASONS[code]) ?? `the connection failed${code ? ` (${code})` : ''}`);
	return {
		status: 'Error',
		message: `Could not reach the Fanloop hub at ${baseUrl}: ${reason}. Check that the hub is running and that the Base URL is the address it answers at.`,
	};
}

async function hubMessage(response: Response): Promise<string | undefined> {
	const body = (await response.json().catch(() => undefined)) as
		{ error?: { message?: unknown } } | undefined;
	return typeof body?.error?.message === 'string' ? body.error.message : undefined;
}

/** Asks the hub who the key belongs to, and says in plain words what went wrong if it cannot. */
export async function testHubCredential(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const baseUrl = hubBaseUrl(credential.data?.baseUrl);
	if (!/^https?:\/\/[^/]/i.test(baseUrl)) {
		return {
			status: 'Error',
			message:
				'The Base URL must be the address the Fanloop hub answers at, starting with http:// or https://, e.g. https://hub.example.com.',
		};
	}
	const apiKey = typeof credential.data?.apiKey === 'string' ? credential.data.apiKey.trim() : '';
	let response: Response;
	try {
		response = await fetch(`${baseUrl}/v1/whoami`, {
			headers: { authorization: `Bearer ${apiKey}`, accept: 'application/json' },
			signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
		});
	} catch (error) {
		return unreachable(baseUrl, error);
	}
	if (response.ok) return { status: 'OK', message: 'Connected to the Fanloop hub.' };
	if (response.status === 401) {
		return {
			status: 'Error',
			message:
				'The Fanloop hub rejected the API key: it is missing, wrong or revoked. Create one with "fanloop-hub api-key create --name n8n" and paste it here.',
		};
	}
	if (response.status === 404) {
		return {
			status: 'Error',
			message: `Something answers at ${baseUrl}, but not the Fanloop hub's API: give the address the hub runs at, e.g. https://hub.example.com, without a path.`,
		};
	}
	const said = await hubMessage(response);
	return {
		status: 'Error',
		message: `The Fanloop hub at ${baseUrl} answered HTTP ${response.status}${said ? `: ${said}` : ''}.`,
	};
}
