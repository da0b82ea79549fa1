"""What views, CLI, API and jobs share. No request objects in here."""
