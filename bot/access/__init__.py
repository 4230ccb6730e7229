"""Channel access: posts the bot may not make yet wait for `/invite @Oneness`, then go out."""
