"""The tracker's HTTP side: `main.create_api` builds the FastAPI app from one
router per resource (`routes/`), typed response bodies (`schemas`) and the
request dependencies (`deps`); the HTML pages render through `web_page` and
`templates/`."""
