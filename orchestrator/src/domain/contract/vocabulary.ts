/** Value domains published by CMS (open-payments reference), shared by DQ rules and the sample generator. */

export const GENERAL_NATURES = [
  'Food and Beverage',
  'Travel and Lodging',
  'Consulting Fee',
  'Education',
  'Gift',
  'Honoraria',
  'Entertainment',
  'Royalty or License',
  'Grant',
  'Charitable Contribution',
  'Current or prospective ownership or investment interest',
  'Space rental or facility fees',
  'Compensation for services other than consulting, including serving as faculty or as a speaker at a venue other than a continuing education program',
  'Compensation for serving as faculty or as a speaker for an unaccredited and noncertified continuing education program',
  'Compensation for serving as faculty or as a speaker for an accredited or certified continuing education program',
  'Compensation for serving as faculty or as a speaker for a medical education program',
  'Acquisitions',
  'Debt forgiveness',
  'Long term medical supply or device loan',
] as const;

export const FORMS_OF_PAYMENT = [
  'In-kind items and services',
  'Cash or cash equivalent',
  'Stock',
  'Stock option',
  'Any other ownership interest',
  'Dividend, profit or other return on investment',
  'Stock, stock option, or any other ownership interest',
] as const;

export const RECIPIENT_TYPES = {
  physician: 'Covered Recipient Physician',
  practitioner: 'Covered Recipient Non-Physician Practitioner',
  teachingHospital: 'Covered Recipient Teaching Hospital',
} as const;

export const CHANGE_TYPES = ['NEW', 'ADD', 'CHANGED', 'UNCHANGED'] as const;

/** Payment_Type values of the removed/deleted file. Unverified: no published file was available to confirm the spelling. */
export const REMOVED_PAYMENT_TYPES = [
  'General Payment',
  'Research Payment',
  'Ownership or Investment Interest',
] as const;
