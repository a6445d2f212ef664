UPDATE meta SET n = n * 10 + 2;
