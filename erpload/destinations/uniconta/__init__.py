"""Telecom X's Uniconta invoice export, triggered per reseller and month (see transforms/uniconta)."""
