"""d.velop smart invoice master data: batch import jobs, and a single PUT for one record."""
