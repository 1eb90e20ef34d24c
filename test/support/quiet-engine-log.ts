// n8n's engine, which the node tests run in-process, logs every node error to the console
// through its own logger; the tests assert those errors themselves, so the run stays quiet.
// A real n8n started by a test sets its own N8N_LOG_LEVEL and keeps its log.
process.env.N8N_LOG_LEVEL ??= 'silent';
