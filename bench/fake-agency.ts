/**
 * A webhook agency as its own process for `npm run bench:load`: it takes the service's signed case
 * deliveries (verifying each) with the secret given in AGENCY_SECRET.
 */
import { FakeAgencyWebhook } from '../test/fakes/agency-webhook.js';

const agency = await new FakeAgencyWebhook(process.env.AGENCY_SECRET ?? '').start();
console.log(`listening on ${agency.url}`);
process.on('SIGTERM', () => void agency.stop().then(() => process.exit(0)));
