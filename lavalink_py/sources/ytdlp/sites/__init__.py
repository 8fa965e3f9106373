"""One module per site: its URL shapes (after lavaplayer's and youtube-source's routers) and its track fields."""
