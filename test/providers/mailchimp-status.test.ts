import { MailchimpDoubleOptIn } from '../../hub/src/providers/mailchimp';
import { SandboxClock } from '../../sandbox/src/core/clock';
import { MailchimpStandIn, subscriberHash } from '../../sandbox/src/messaging';

const API_KEY = '0123456789abcdef0123456789abcdef-us21';
const LIST_ID = 'a1b2c3d4e5';

/** What the hub reads back from Mailchimp's member status, as the fan's consent. */
describe('Mailchimp double opt-in status', () => {
	let mailchimp: MailchimpStandIn;
	let optIn: MailchimpDoubleOptIn;

	beforeEach(async () => {
		mailchimp = new MailchimpStandIn({
			apiKey: API_KEY,
			lists: [LIST_ID],
			clock: new SandboxClock(),
		});
		await mailchimp.start();
		optIn = new MailchimpDoubleOptIn({ apiKey: API_KEY, listId: LIST_ID, apiUrl: mailchimp.url });
	});

	afterEach(async () => {
		await mailchimp.stop();
	});

	it('reads pending, then subscribed once the fan confirms in Mailchimp’s email', async () => {
		await optIn.request('confirms@example.com');
		expect(await optIn.status('confirms@example.com')).toBe('pending');
		mailchimp.confirm(LIST_ID, 'confirms@example.com');
		expect(await optIn.status('confirms@example.com')).toBe('subscribed');
	});

	it('reads an unsubscribe as the fan revoking, and a member the marketer archived as neither', async () => {
		await optIn.request('leaves@example.com');
		mailchimp.unsubscribe(LIST_ID, 'leaves@example.com');
		expect(await optIn.status('leaves@example.com')).toBe('unsubscribed');

		await optIn.request('archived@example.com');
		// "Archive list member" is the marketer's act, not the fan's: it grants and revokes nothing.
		const archived = await fetch(
			`${mailchimp.url}/lists/${LIST_ID}/members/${subscriberHash('archived@example.com')}`,
			{
				method: 'DELETE',
				headers: { authorization: `Basic ${Buffer.from(`fanloop:${API_KEY}`).toString('base64')}` },
			},
		);
		expect(archived.status).toBe(204);
		expect(await optIn.status('archived@example.com')).toBe('unknown');
	});
});
