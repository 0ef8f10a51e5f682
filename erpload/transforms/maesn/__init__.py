"""The Maesn target: posted invoices and bills -> booking proposals, one dataset table per accounting system."""
