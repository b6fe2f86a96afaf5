import { describe, expect, it } from 'vitest';
import { cmsArchiveName, cmsFileName, parseCmsName, publicationStamp } from './publication.js';

describe('CMS names', () => {
  it('stamps publications the way CMS does before and after 2024', () => {
    expect(publicationStamp('2015-06-30')).toBe('P06302015');
    expect(publicationStamp('2025-06-30')).toBe('P06302025_06162025');
    expect(cmsFileName('general', 2024, '2025-06-30')).toBe('OP_DTL_GNRL_PGYR2024_P06302025_06162025.csv');
    expect(cmsArchiveName(2023, '2025-01-30')).toBe('PGYR2023_P01302025_01162025.zip');
  });

  it.each([
    [
      'OP_DTL_GNRL_PGYR2014_P06302015.csv',
      { dataset: 'general', programYear: 2014, publicationDate: '2015-06-30' },
    ],
    [
      'OP_DTL_GNRL_PGYR2024_P06302025_06162025.csv',
      { dataset: 'general', programYear: 2024, publicationDate: '2025-06-30' },
    ],
    [
      'OP_DTL_RSRCH_PGYR2019_P01222021.csv',
      { dataset: 'research', programYear: 2019, publicationDate: '2021-01-22' },
    ],
    [
      'OP_DTL_OWNRSHP_PGYR2023_P06282024_06122024.csv',
      { dataset: 'ownership', programYear: 2023, publicationDate: '2024-06-28' },
    ],
    [
      'OP_REMOVED_DELETED_PGYR2016_P01222021.csv',
      { dataset: 'removed_deleted', programYear: 2016, publicationDate: '2021-01-22' },
    ],
    [
      'OP_CVRD_RCPNT_PRFL_SPLMTL_P01302025_01212025.csv',
      { dataset: 'profiles', publicationDate: '2025-01-30' },
    ],
    ['OP_PH_PRFL_SPLMTL_P06302015.csv', { dataset: 'profiles', publicationDate: '2015-06-30' }],
    ['PGYR18_P012221.ZIP', { programYear: 2018, publicationDate: '2021-01-22' }],
    ['PGYR2023_P01302025_01212025.zip', { programYear: 2023, publicationDate: '2025-01-30' }],
    ['/downloads/OPPR_ALL_DTL_GNRL_12192014.csv', { dataset: 'general' }],
    ['my-export.csv', {}],
    ['OP_DTL_GNRL_PGYR2023_P13452024.csv', { dataset: 'general', programYear: 2023 }],
  ])('reads %s', (name, expected) => {
    expect(parseCmsName(name)).toEqual(expected);
  });
});
