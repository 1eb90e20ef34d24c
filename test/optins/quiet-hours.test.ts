import { classifyKeyword } from '../../hub/src/core/optins/keywords';
import { LinkTokens } from '../../hub/src/core/optins/link-tokens';
import { isQuiet, nextSendableAt, recipientZones } from '../../hub/src/core/optins/quiet-hours';

describe('quiet hours', () => {
	it('holds a message due at 11pm in the fan’s zone until 8am there', () => {
		const elevenPmBerlin = Date.parse('2026-12-03T22:00:00Z');
		const zones = recipientZones('Europe/Berlin', null);
		expect(isQuiet(elevenPmBerlin, zones)).toBe(true);
		expect(new Date(nextSendableAt(elevenPmBerlin, zones)).toISOString()).toBe(
			'2026-12-04T07:00:00.000Z',
		);
	});

	it('sends at once inside the window', () => {
		const noonBerlin = Date.parse('2026-12-03T11:00:00Z');
		expect(nextSendableAt(noonBerlin, ['Europe/Berlin'])).toBe(noonBerlin);
	});

	it('respects every zone of a number’s country when the fan’s zone is unknown', () => {
		const zones = recipientZones(null, '+14155550123');
		expect(zones).toContain('America/Los_Angeles');
		// 8:30 in New York is 5:30 in Los Angeles: still quiet for the country as a whole.
		const morningNewYork = Date.parse('2026-12-03T13:30:00Z');
		expect(isQuiet(morningNewYork, zones)).toBe(true);
		expect(new Date(nextSendableAt(morningNewYork, zones)).toISOString()).toBe(
			'2026-12-03T16:00:00.000Z',
		);
	});

	it('follows daylight saving time', () => {
		const zones = ['America/New_York'];
		// 7:30 local on the day clocks spring forward is still quiet; 8:00 local is 12:00 UTC.
		expect(new Date(nextSendableAt(Date.parse('2026-03-08T11:30:00Z'), zones)).toISOString()).toBe(
			'2026-03-08T12:00:00.000Z',
		);
	});
});

describe('SMS keywords', () => {
	it.each([
		['STOP', 'stop'],
		['  stop  ', 'stop'],
		['Unsubscribe', 'stop'],
		['stopall', 'stop'],
		['optout', 'stop'],
		['unstop', 'start'],
		['Start', 'start'],
		['help', 'help'],
		['yes', 'confirm'],
		['Presave!', 'custom'],
	])('reads %j as %s', (body, kind) => {
		expect(classifyKeyword(body).kind).toBe(kind);
	});

	it('keeps the custom word, upper-cased and trimmed', () => {
		expect(classifyKeyword(' presave ')).toEqual({ kind: 'custom', word: 'PRESAVE' });
	});
});

describe('signed links', () => {
	const links = new LinkTokens(Buffer.alloc(32, 7));

	it('reads back what it signed, for its purpose only', () => {
		const token = links.issue({ consentId: 'con_1', purpose: 'confirm', expiresAtMs: 123 });
		expect(links.read(token, 'confirm')).toEqual({
			consentId: 'con_1',
			purpose: 'confirm',
			expiresAtMs: 123,
		});
		expect(links.read(token, 'unsubscribe')).toBeUndefined();
	});

	it('refuses a tampered or foreign token', () => {
		const token = links.issue({ consentId: 'con_1', purpose: 'confirm', expiresAtMs: 123 });
		const [payload, signature] = token.split('.');
		const forged = Buffer.from(JSON.stringify(['con_2', 'confirm', 123])).toString('base64url');
		expect(links.read(`${forged}.${signature}`, 'confirm')).toBeUndefined();
		expect(links.read(`${payload}.${signature.slice(0, -2)}xx`, 'confirm')).toBeUndefined();
		expect(new LinkTokens(Buffer.alloc(32, 8)).read(token, 'confirm')).toBeUndefined();
	});
});
