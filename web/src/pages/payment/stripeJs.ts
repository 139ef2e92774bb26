//! Stripe.js, loaded once from the URL the server names (`STRIPE_JS_URL`), and the little of
//! its API the pay page uses: a card Element and `confirmCardPayment`. The card never touches
//! Paybell: Stripe.js sends it to Stripe.

/** A mounted card input, Stripe's. */
export interface CardElement {
  mount(target: HTMLElement | string): void;
  destroy(): void;
}

/** What `confirmCardPayment` answers. */
export interface ConfirmResult {
  error?: { message?: string };
  paymentIntent?: { id: string; status: string };
}

/** The `Stripe(publishableKey)` object, as far as the pay page uses it. */
export interface StripeClient {
  elements(): { create(type: 'card', options?: object): CardElement };
  confirmCardPayment(clientSecret: string, data?: { payment_method: { card: CardElement } }): Promise<ConfirmResult>;
}

type StripeFactory = (publishableKey: string) => StripeClient;

const loads = new Map<string, Promise<StripeFactory>>();

function factory(): StripeFactory | undefined {
  const candidate: unknown = (window as unknown as { Stripe?: unknown }).Stripe;
  return typeof candidate === 'function' ? (candidate as StripeFactory) : undefined;
}

/** Loads Stripe.js from `url` (once per page) and opens it with `publishableKey`. */
export async function loadStripe(url: string, publishableKey: string): Promise<StripeClient> {
  let load = loads.get(url);
  if (!load) {
    load = new Promise<StripeFactory>((resolve, reject) => {
      const script = document.createElement('script');
      script.src = url;
      script.async = true;
      script.dataset.testid = 'stripe-js';
      script.onload = () => {
        const stripe = factory();
        if (stripe) resolve(stripe);
        else reject(new Error('Stripe.js loaded but did not define Stripe.'));
      };
      script.onerror = () => {
        loads.delete(url);
        reject(new Error('Could not load Stripe.js; check your connection and reload the page.'));
      };
      document.head.appendChild(script);
    });
    loads.set(url, load);
  }
  return (await load)(publishableKey);
}
