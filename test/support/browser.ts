import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { artifactsDir } from '../n8n/harness';

/** Debian's Chromium, headless, with nothing that talks to the network on its own. */
export function launchChromium(): Promise<Browser> {
	return chromium.launch({
		executablePath: '/usr/bin/chromium',
		args: [
			'--headless',
			'--no-sandbox',
			'--disable-gpu',
			'--disable-background-networking',
			'--disable-quic',
			'--no-first-run',
			'--disable-component-update',
			'--disable-sync',
		],
	});
}

const PHONE_USER_AGENT =
	'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36';

/** A fan's phone: a 390×844 viewport, touch, a phone browser's user agent unless given an app's, optionally a language. */
export async function phoneContext(
	browser: Browser,
	options: { userAgent?: string; locale?: string } = {},
): Promise<BrowserContext> {
	return browser.newContext({
		viewport: { width: 390, height: 844 },
		deviceScaleFactor: 2,
		isMobile: true,
		hasTouch: true,
		userAgent: PHONE_USER_AGENT,
		...options,
	});
}

/** The suite's Chromium and the current test's phone. */
export interface PhonePerTest {
	readonly browser: Browser;
	readonly context: BrowserContext;
}

/**
 * Registers the suite's hooks: Chromium launched once, a fresh phone context for each test
 * (nothing a test's fan did carries into the next), both closed afterwards.
 */
export function phonePerTest(): PhonePerTest {
	let browser: Browser | undefined;
	let context: BrowserContext | undefined;
	beforeAll(async () => {
		browser = await launchChromium();
	});
	beforeEach(async () => {
		context = await phoneContext(browser!);
	});
	afterEach(async () => {
		await context?.close();
	});
	afterAll(async () => {
		await browser?.close();
	});
	return {
		get browser() {
			if (!browser) throw new Error('Chromium is launched in beforeAll');
			return browser;
		},
		get context() {
			if (!context) throw new Error('the phone context is opened in beforeEach');
			return context;
		},
	};
}

/** Saves what the fan sees under .test-artifacts/<folder>/<name>.png, the whole page. */
export async function screenshot(page: Page, folder: string, name: string): Promise<string> {
	const directory = join(artifactsDir, folder);
	mkdirSync(directory, { recursive: true });
	const path = join(directory, `${name}.png`);
	await page.screenshot({ path, fullPage: true });
	return path;
}
