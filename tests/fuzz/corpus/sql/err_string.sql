SET b = 'abc;
