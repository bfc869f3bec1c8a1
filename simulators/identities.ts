import { base, en, Faker } from '@faker-js/faker';
import { childSeed, Draw } from './seed.ts';
import { TOPIC } from './topics.ts';

/** The account a household signs up with (one family account; every phone of the household signs in to it). */
export interface Identity {
  email: string;
  displayName: string;
  password: string;
}

const POOL = 1024;

/**
 * Household identities from @faker-js/faker, seeded from the run's seed. Faker
 * draws two pools of names once (its Mersenne Twister is costly to re-seed per
 * household); household `h` then picks from them by a counter-based draw, so
 * any household's identity is known without generating the ones before it.
 * Emails are unique: they carry the household number and a tag of the seed.
 */
export class Identities {
  readonly #first: string[];
  readonly #last: string[];
  readonly #draw: Draw;
  readonly #tag: string;

  constructor(rootSeed: number) {
    const faker = new Faker({ locale: [en, base], seed: childSeed(rootSeed, 'identity', 0) });
    this.#first = Array.from({ length: POOL }, () => faker.person.firstName());
    this.#last = Array.from({ length: POOL }, () => faker.person.lastName());
    this.#draw = new Draw(rootSeed);
    this.#tag = childSeed(rootSeed, 'identity', 1).toString(36);
  }

  /** The identity of household `h`. */
  of(h: number): Identity {
    const first = this.#first[this.#draw.u32(TOPIC.identityName, h, 0) % POOL]!;
    const last = this.#last[this.#draw.u32(TOPIC.identityName, h, 1) % POOL]!;
    const p1 = this.#draw.u32(TOPIC.identityPassword, h, 0).toString(16).padStart(8, '0');
    const p2 = this.#draw.u32(TOPIC.identityPassword, h, 1).toString(16).padStart(8, '0');
    return {
      email: `${ascii(first)}.${ascii(last)}.h${h.toString(36)}.${this.#tag}@example.com`,
      displayName: `${first} ${last}`,
      password: `fb-${p1}${p2}`,
    };
  }
}

function ascii(name: string): string {
  return name.normalize('NFKD').toLowerCase().replace(/[^a-z]/g, '') || 'user';
}
