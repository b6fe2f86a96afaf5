import { describe, expect, it } from 'vitest';
import type { OrchestratorError } from '../../domain/errors.js';
import type { CatalogDataset } from '../../ports/cms-catalog.js';
import { selectPublication } from './discover.js';

const BASE = 'https://download.cms.gov/openpayments';
const catalog: CatalogDataset[] = [
  {
    identifier: 'e6b17c6a-2534-4207-a4a1-6746a14911ff',
    title: '2024 General Payment Data',
    keyword: ['2024'],
    modified: '2025-06-30',
    distribution: [
      {
        identifier: 'd-gnrl-2024',
        downloadURL: `${BASE}/PGYR2024_P06302025_06162025/OP_DTL_GNRL_PGYR2024_P06302025_06162025.csv`,
        format: 'csv',
        mediaType: 'text/csv',
      },
    ],
  },
  {
    identifier: 'fb3a65aa-c901-4a38-a813-b04b00dfa2a9',
    title: '2023 General Payment Data',
    keyword: ['2023'],
    distribution: [
      {
        identifier: 'd-gnrl-2023',
        downloadURL: `${BASE}/PGYR2023_P01302025_01212025/OP_DTL_GNRL_PGYR2023_P01302025_01212025.csv`,
        mediaType: 'text/csv',
      },
    ],
  },
  {
    identifier: 'r-2023',
    title: '2023 Research Payment Data',
    keyword: ['2023'],
    distribution: [
      {
        identifier: 'd-rsrch-2023',
        downloadURL: `${BASE}/PGYR2023_P01302025_01212025/OP_DTL_RSRCH_PGYR2023_P01302025_01212025.csv`,
      },
    ],
  },
  {
    identifier: 'a-2023',
    title: '2023 Program Year Open Payments Data Archive',
    keyword: ['2023'],
    distribution: [
      {
        identifier: 'd-zip-2023',
        downloadURL: `${BASE}/PGYR2023_P01302025_01212025.zip`,
        format: 'zip',
        mediaType: 'application/zip',
      },
    ],
  },
  {
    identifier: 'p',
    title: 'Covered Recipient Profile Supplement',
    distribution: [
      {
        identifier: 'd-prfl',
        downloadURL: `${BASE}/PHPRFL_P01302025_01212025/OP_CVRD_RCPNT_PRFL_SPLMTL_P01302025_01212025.csv`,
        format: 'csv',
      },
    ],
  },
];

describe('CMS discovery', () => {
  it('picks the year’s CSV by title and reads the publication from the file name', () => {
    expect(selectPublication(catalog, 'general', 2023)).toMatchObject({
      kind: 'csv',
      datasetId: 'fb3a65aa-c901-4a38-a813-b04b00dfa2a9',
      distributionId: 'd-gnrl-2023',
      fileName: 'OP_DTL_GNRL_PGYR2023_P01302025_01212025.csv',
      publicationDate: '2025-01-30',
    });
    expect(selectPublication(catalog, 'general', 2024).publicationDate).toBe('2025-06-30');
    expect(selectPublication(catalog, 'research', 2023).distributionId).toBe('d-rsrch-2023');
  });

  it('takes removed/deleted and `all` from the whole-year archive', () => {
    for (const ds of ['removed_deleted', 'all'] as const) {
      expect(selectPublication(catalog, ds, 2023)).toMatchObject({
        kind: 'zip',
        fileName: 'PGYR2023_P01302025_01212025.zip',
        publicationDate: '2025-01-30',
      });
    }
  });

  it('finds the profile supplement', () => {
    expect(selectPublication(catalog, 'profiles', 2023)).toMatchObject({
      kind: 'csv',
      distributionId: 'd-prfl',
      publicationDate: '2025-01-30',
    });
  });

  it('says what the catalog does list when the year or dataset is missing', () => {
    const e = (() => {
      try {
        selectPublication(catalog, 'ownership', 2023);
      } catch (x) {
        return x as OrchestratorError;
      }
      throw new Error('expected PUBLICATION_NOT_FOUND');
    })();
    expect(e.code).toBe('PUBLICATION_NOT_FOUND');
    expect(e.suggestion).toContain('2023 General Payment Data');
    expect(() => selectPublication(catalog, 'general', 2016)).toThrow(
      /no general file for program year 2016/,
    );
  });
});
