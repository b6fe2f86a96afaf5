/**
 * Deterministic pools of recipients and manufacturers. Entity k is derived from (seed, k) alone, so a
 * profiles sample and a payments sample made with the same seed describe the same people, and the
 * pools cost memory bounded by their size, never by the number of rows.
 */
import { RECIPIENT_TYPES } from '../../domain/contract/vocabulary.js';
import { Rng } from './rng.js';

const FIRST = [
  'JAMES',
  'MARY',
  'ROBERT',
  'PATRICIA',
  'JOHN',
  'JENNIFER',
  'MICHAEL',
  'LINDA',
  'DAVID',
  'ELIZABETH',
  'WILLIAM',
  'BARBARA',
  'RICHARD',
  'SUSAN',
  'JOSEPH',
  'JESSICA',
  'THOMAS',
  'SARAH',
  'PRIYA',
  'WEI',
  'CARLOS',
  'FATIMA',
  'HOWARD',
  'ANA',
];
const LAST = [
  'SMITH',
  'JOHNSON',
  'WILLIAMS',
  'BROWN',
  'JONES',
  'GARCIA',
  'MILLER',
  'DAVIS',
  'RODRIGUEZ',
  'MARTINEZ',
  'HERNANDEZ',
  'LOPEZ',
  'GONZALEZ',
  'WILSON',
  "O'BRIEN",
  'NGUYEN',
  'PATEL',
  'KIM',
  'SADINSKY',
  'CHEN',
];
const MIDDLE = ['A', 'B', 'C', 'D', 'E', 'J', 'K', 'L', 'M', 'R', 'S'];
const STREETS = [
  'MAIN ST',
  'BOSTON POST RD',
  'OAK AVE',
  'PARK BLVD',
  'MEDICAL CENTER DR',
  'ELM ST',
  'WASHINGTON AVE',
  'HOSPITAL RD',
];
export const CITIES: readonly (readonly [string, string, string])[] = [
  ['MILFORD', 'CT', '06460'],
  ['BOSTON', 'MA', '02115'],
  ['NEW YORK', 'NY', '10016'],
  ['HOUSTON', 'TX', '77030'],
  ['CHICAGO', 'IL', '60611'],
  ['LOS ANGELES', 'CA', '90048'],
  ['MIAMI', 'FL', '33136'],
  ['SEATTLE', 'WA', '98104'],
  ['DENVER', 'CO', '80218'],
  ['PHOENIX', 'AZ', '85006'],
  ['ATLANTA', 'GA', '30322'],
  ['NEWARK', 'NJ', '07103'],
];
const PHYSICIAN_TYPES = [
  'Medical Doctor',
  'Doctor of Osteopathy',
  'Doctor of Dentistry',
  'Doctor of Podiatric Medicine',
  'Doctor of Optometry',
];
const PRACTITIONER_TYPES = [
  'Nurse Practitioner',
  'Physician Assistant',
  'Certified Registered Nurse Anesthetist',
  'Clinical Nurse Specialist',
];
const SPECIALTIES = [
  'Allopathic & Osteopathic Physicians|Internal Medicine',
  'Allopathic & Osteopathic Physicians|Family Medicine',
  'Allopathic & Osteopathic Physicians|Pediatrics',
  'Allopathic & Osteopathic Physicians|Internal Medicine|Cardiovascular Disease',
  'Allopathic & Osteopathic Physicians|Orthopaedic Surgery',
  'Allopathic & Osteopathic Physicians|Psychiatry & Neurology|Neurology',
  'Dental Providers|Dentist|General Practice',
  'Physician Assistants & Advanced Practice Nursing Providers|Nurse Practitioner|Family',
];
const HOSPITALS = [
  'MEMORIAL HOSPITAL',
  'UNIVERSITY MEDICAL CENTER',
  "ST. MARY'S HOSPITAL",
  "CHILDREN'S HOSPITAL",
  'GENERAL HOSPITAL',
];

export type RecipientKind = 'physician' | 'practitioner' | 'teachingHospital';

export interface Recipient {
  kind: RecipientKind;
  type: string;
  profileId: string;
  npi: string;
  first: string;
  middle: string;
  last: string;
  suffix: string;
  street: string;
  city: string;
  state: string;
  zip: string;
  primaryType: string;
  specialty: string;
  licenseState: string;
  hospitalName: string;
  hospitalCcn: string;
  hospitalId: string;
}

export interface Manufacturer {
  id: string;
  /** The spellings this company used over time (trap: names are not normalised). */
  names: readonly string[];
  state: string;
}

const COMPANY_ROOTS = [
  'Mission Pharmacal',
  'Acme Biologics',
  'Northwind Medical',
  'Zenith Devices',
  'Bluebird Therapeutics',
  'Cobalt Pharma',
  'Helix Health',
  'Summit Orthopedics',
  'Crescent Labs',
  'Aurora Diagnostics',
  'Pioneer Surgical',
  'Keystone Pharmaceuticals',
];
const COMPANY_SUFFIXES = ['Company', 'Inc.', 'LLC', 'Corporation', 'USA, Inc.'];

export class EntityPools {
  private readonly recipients = new Map<number, Recipient>();
  private readonly manufacturers = new Map<number, Manufacturer>();

  constructor(
    private readonly seed: number,
    readonly recipientCount: number,
    readonly manufacturerCount: number,
    /** Before PY2021 there were no non-physician practitioners among covered recipients. */
    private readonly withPractitioners: boolean,
  ) {}

  recipient(k: number): Recipient {
    const cached = this.recipients.get(k);
    if (cached) return cached;
    const r = new Rng(`${this.seed}:recipient:${k}`);
    const kind: RecipientKind = r.weighted<RecipientKind>([
      ['physician', 85],
      ['practitioner', this.withPractitioners ? 10 : 0],
      ['teachingHospital', 5],
    ]);
    const [city, state, zip] = r.pick(CITIES);
    const isPerson = kind !== 'teachingHospital';
    const rec: Recipient = {
      kind,
      type: RECIPIENT_TYPES[kind],
      profileId: isPerson ? String(100000 + k * 7) : '',
      npi: isPerson ? `1${r.digits(9)}` : '',
      first: isPerson ? r.pick(FIRST) : '',
      middle: isPerson && r.chance(0.4) ? r.pick(MIDDLE) : '',
      last: isPerson ? r.pick(LAST) : '',
      suffix: isPerson && r.chance(0.03) ? r.pick(['JR', 'SR', 'III']) : '',
      street: `${r.int(1, 9999)} ${r.pick(STREETS)}`,
      city,
      state,
      zip: r.chance(0.5) ? `${zip}-${r.digits(4)}` : zip,
      primaryType:
        kind === 'physician'
          ? r.pick(PHYSICIAN_TYPES)
          : kind === 'practitioner'
            ? r.pick(PRACTITIONER_TYPES)
            : '',
      specialty: isPerson ? r.pick(SPECIALTIES) : '',
      licenseState: isPerson ? state : '',
      hospitalName: isPerson ? '' : `${city} ${r.pick(HOSPITALS)}`,
      hospitalCcn: isPerson ? '' : r.digits(6),
      hospitalId: isPerson ? '' : String(1000 + k),
    };
    this.recipients.set(k, rec);
    return rec;
  }

  manufacturer(k: number): Manufacturer {
    const cached = this.manufacturers.get(k);
    if (cached) return cached;
    const r = new Rng(`${this.seed}:manufacturer:${k}`);
    const root = `${COMPANY_ROOTS[k % COMPANY_ROOTS.length]}${k >= COMPANY_ROOTS.length ? ` ${Math.floor(k / COMPANY_ROOTS.length) + 1}` : ''}`;
    const base = `${root} ${r.pick(COMPANY_SUFFIXES)}`;
    // About one company in eight appears under a second spelling.
    const names = r.chance(0.125) ? [base, base.toUpperCase()] : [base];
    const m: Manufacturer = { id: String(100000000000 + k * 1013), names, state: r.pick(CITIES)[1] };
    this.manufacturers.set(k, m);
    return m;
  }
}
