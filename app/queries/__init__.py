"""Every query the API makes: functions take (session, *, ...) and return models or rows."""
