"""The printed papers (giấy tờ in): the documents the admission process produces, built from a
dossier's own records, as an editable DOCX file and a print view (docs/web.md, "Giấy tờ in")."""
