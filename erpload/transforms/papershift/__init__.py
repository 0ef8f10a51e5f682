"""The Papershift target: Papershift Pulse pulls a company's payroll documents (payslips, wage-tax certificates)
from DATEV for its employees; erpload starts the initial document sync per company and follows it to the end."""
