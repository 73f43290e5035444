"""The organisation in the staff web application: the tree on any day, a unit's page, its history,
members, quotas and classes, the forms of the registry's commands and the spreadsheet import
(docs/web.md, "Tổ chức")."""
