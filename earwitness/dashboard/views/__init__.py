"""The dashboard's pages: thin layouts over tested data (``_data``) and figure (``_figures``)
functions."""
