/** `orchestrator contract export`: the contract as versioned JSON for Spark, Glue and dbt. */
import { CONTRACT } from '../domain/contract/index.js';
import { Contract } from '../domain/contract/types.js';

export interface ContractExport {
  json: string;
  version: string;
  datasets: { id: string; eras: string[]; curatedColumns: number; rules: number }[];
}

export function exportContract(contract = CONTRACT): ContractExport {
  // Validate on the way out: consumers in other languages trust this file blindly.
  const checked = Contract.parse(contract);
  return {
    json: `${JSON.stringify({ $schema: 'open-payments-contract', ...checked }, null, 2)}\n`,
    version: checked.contractVersion,
    datasets: checked.datasets.map((d) => ({
      id: d.id,
      eras: d.eras.map((e) => e.id),
      curatedColumns: d.curated.length,
      rules: d.rules.length,
    })),
  };
}
