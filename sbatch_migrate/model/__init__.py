"""What a script is and asks for, derived once per script from the read facts and shared
by the rules and the site tools: the file and its embedded job scripts (facts), the job's
shape (jobshape), what commands launch (launch), module commands, variables, partition
sites, and what the pod must provide (needs); ``Context`` holds them for one script."""
