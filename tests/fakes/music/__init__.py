"""Local stand-ins for the music services LavaSrc reads (Spotify Web API, Apple Music API, Deezer API) and for a
mirror provider, each answering real requests with the shapes of the services' published reference and examples."""
