-- Up Migration
-- The open figures are read by anyone, filtered by Land and service (src/figures/figures.ts). The
-- primary key starts with the month, so such a read, with any made-up Land or service id, scanned
-- every counter row of every month; this index makes it a range of its own.
CREATE INDEX figure_counts_by_land_service ON figure_counts (tenant, service_id, month);

-- Down Migration
DROP INDEX figure_counts_by_land_service;
