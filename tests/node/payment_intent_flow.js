// A PaymentIntent flow with the official stripe-node library, against the base URL given as argv[2].
// Prints the captured intent as JSON; exits 1 with the library's error type and message otherwise.
const Stripe = require('stripe');

const url = new URL(process.argv[2]);
const stripe = new Stripe(process.argv[3] || 'sk_test_node', {
  host: url.hostname,
  port: url.port,
  protocol: url.protocol.replace(':', ''),
  maxNetworkRetries: 0,
});

(async () => {
  let intent = await stripe.paymentIntents.create({
    amount: 2000, currency: 'usd', capture_method: 'manual', payment_method_types: ['card'],
    metadata: {order: '7'},
  });
  intent = await stripe.paymentIntents.confirm(intent.id, {payment_method: 'pm_card_visa'});
  intent = await stripe.paymentIntents.capture(intent.id, {amount_to_capture: 1500});
  const again = await stripe.paymentIntents.retrieve(intent.id);
  console.log(JSON.stringify({id: again.id, status: again.status, amount_received: again.amount_received,
                              metadata: again.metadata}));
})().catch((error) => {
  console.error(`${error.type || error.name}: ${error.message}`);
  process.exit(1);
});
