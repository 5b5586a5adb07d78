/* a /* nested */ b */ -- c
;;SET x = y