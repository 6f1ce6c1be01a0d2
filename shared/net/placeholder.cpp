// Temporary: removed once the network modules land.
